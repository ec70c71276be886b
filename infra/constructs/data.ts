// The two tables. Both are retained on `cdk destroy`: the watchlist is the
// user's configuration and the history holds the alert ledger that keeps
// alerts exactly-once; losing either silently would be worse than a bill.
// Key layout comes from functions/store/tables.ts, which the local run and
// the tests use too, so the stack and the code agree by construction.
import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { HISTORY_KEYS, UNSENT_INDEX, WATCHLIST_KEY } from '../../functions/store/tables.ts';

const STRING = dynamodb.AttributeType.STRING;

export class Tables extends Construct {
  readonly watchlist: dynamodb.Table;
  readonly history: dynamodb.Table;
  readonly unsentIndexName = UNSENT_INDEX.indexName;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    } as const;

    this.watchlist = new dynamodb.Table(this, 'Watchlist', {
      ...common,
      partitionKey: { name: WATCHLIST_KEY.partitionKey.name, type: STRING },
    });

    this.history = new dynamodb.Table(this, 'History', {
      ...common,
      partitionKey: { name: HISTORY_KEYS.partitionKey.name, type: STRING },
      sortKey: { name: HISTORY_KEYS.sortKey.name, type: STRING },
    });
    this.history.addGlobalSecondaryIndex({
      indexName: UNSENT_INDEX.indexName,
      partitionKey: { name: UNSENT_INDEX.partitionKey.name, type: STRING },
      sortKey: { name: UNSENT_INDEX.sortKey.name, type: STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

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
