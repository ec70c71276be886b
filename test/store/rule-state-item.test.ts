import { describe, expect, it } from 'vitest';
import type { RuleState } from '../../functions/domain/types.ts';
import { fromRuleStateItem, fromSnapshotItem, toRuleStateItem, toSnapshotItem } from '../../functions/store/history-store.ts';
import { storedSnapshot } from '../support/fixtures.ts';

const FULL_STATE: RuleState = {
  disarmedUpBp: [4900],
  disarmedDownBp: [],
  pendingCrossings: [{ direction: 'down', thresholdBp: 4500, sinceDt: '20250303', days: 2 }],
  reminders: [{ direction: 'up', thresholdBp: 4900, sinceDt: '20250228', daysSinceLast: 1 }],
  forecastDisarmed: true,
};

describe('rule state items', () => {
  it('stores pending crossings, reminder clocks and the forecast flag under snake_case names', () => {
    expect(toRuleStateItem(FULL_STATE)).toEqual({
      disarmed_up_bp: [4900],
      disarmed_down_bp: [],
      pending_crossings: [{ direction: 'down', threshold_bp: 4500, since_dt: '20250303', days: 2 }],
      reminders: [{ direction: 'up', threshold_bp: 4900, since_dt: '20250228', days_since_last: 1 }],
      forecast_disarmed: true,
    });
  });

  it('round-trips the whole state through a snapshot item', () => {
    const stored = storedSnapshot({ dt: '20250304' }, { ruleState: FULL_STATE });
    expect(fromSnapshotItem({ ...toSnapshotItem(stored) }).ruleState).toEqual(FULL_STATE);
  });

  it('writes only the hysteresis lists for a state without the newer members', () => {
    expect(Object.keys(toRuleStateItem({ disarmedUpBp: [], disarmedDownBp: [4500] }))).toEqual(['disarmed_up_bp', 'disarmed_down_bp']);
  });

  it('reads an item written before the newer members existed', () => {
    expect(fromRuleStateItem({ disarmed_up_bp: [4900], disarmed_down_bp: [] })).toEqual({ disarmedUpBp: [4900], disarmedDownBp: [] });
  });

  it('drops malformed entries instead of failing the code', () => {
    const state = fromRuleStateItem({
      disarmed_up_bp: [],
      disarmed_down_bp: [],
      pending_crossings: [{ direction: 'sideways', threshold_bp: 4900, since_dt: '20250303', days: 1 }, 'x'],
      reminders: 'not a list',
      forecast_disarmed: 'yes',
    });
    expect(state).toEqual({ disarmedUpBp: [], disarmedDownBp: [] });
  });
});
