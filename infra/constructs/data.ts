// The two tables. Both are retained on `cdk destroy`: the watchlist is the
// user's configuration and the history holds the alert ledger that keeps
// alerts exactly-once; losing either silently would be worse than a bill.
// A redeploy after a destroy names them in the settings and uses them as they
// are (same keys, same unsent index) instead of creating empty ones.
// Key layout comes from functions/store/tables.ts, which the local run and
// the tests use too, so the stack and the code agree by construction.
import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { HISTORY_KEYS, UNSENT_INDEX, WATCHLIST_KEY } from '../../functions/store/tables.ts';
import type { ReusedResources } from '../settings.ts';

const STRING = dynamodb.AttributeType.STRING;

export interface TablesProps {
  /** Tables a destroyed deployment retained. */
  reuse: Pick<ReusedResources, 'watchlistTableName' | 'historyTableName'>;
}

export class Tables extends Construct {
  readonly watchlist: dynamodb.ITable;
  readonly history: dynamodb.ITable;
  readonly unsentIndexName = UNSENT_INDEX.indexName;

  constructor(scope: Construct, id: string, props: TablesProps) {
    super(scope, id);

    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    } as const;

    const { watchlistTableName, historyTableName } = props.reuse;
    this.watchlist =
      watchlistTableName !== undefined
        ? dynamodb.Table.fromTableName(this, 'Watchlist', watchlistTableName)
        : new dynamodb.Table(this, 'Watchlist', {
            ...common,
            partitionKey: { name: WATCHLIST_KEY.partitionKey.name, type: STRING },
          });

    if (historyTableName !== undefined) {
      this.history = dynamodb.Table.fromTableName(this, 'History', historyTableName);
    } else {
      const history = new dynamodb.Table(this, 'History', {
        ...common,
        partitionKey: { name: HISTORY_KEYS.partitionKey.name, type: STRING },
        sortKey: { name: HISTORY_KEYS.sortKey.name, type: STRING },
      });
      history.addGlobalSecondaryIndex({
        indexName: UNSENT_INDEX.indexName,
        partitionKey: { name: UNSENT_INDEX.partitionKey.name, type: STRING },
        sortKey: { name: UNSENT_INDEX.sortKey.name, type: STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
      this.history = history;
    }

    new CfnOutput(scope, 'WatchlistTableName', {
      value: this.watchlist.tableName,
      description: 'WATCHLIST_TABLE for `kfa watch …`',
    });
    new CfnOutput(scope, 'HistoryTableName', {
      value: this.history.tableName,
      description: 'HISTORY_TABLE for `kfa` commands that read history',
    });
  }

  /** ARN of the sparse index of unsent ledger entries. */
  get unsentIndexArn(): string {
    return `${this.history.tableArn}/index/${UNSENT_INDEX.indexName}`;
  }
}
