#!/usr/bin/env bash
# History retention: scan_history_maximum_items, scan_results_retention_days; and
# quarantine_retention_days for the vault.
. "$(dirname "$0")/lib.sh"

mkdir -p t && eicar t/e.com

test_expect_success 'scan_history_maximum_items keeps only the newest scans, with their threats' '
	vigil config set scan_history_maximum_items 3 &&
	for i in 1 2 3 4 5; do expect_exit 1 vigil -q scan custom t >/dev/null || exit 1; done &&
	vigil --json scan list >list.json &&
	jq -e "[.scans[].scan_id] == [5, 4, 3]" list.json &&
	vigil --json threat list >threats.json &&
	jq -e "[.threats[].scan_id] | unique == [3, 4, 5]" threats.json &&
	expect_exit 2 vigil scan show 1 2>/dev/null
'
test_expect_success 'scan_results_retention_days drops scans older than that' '
	vigil config set scan_history_maximum_items 0 &&
	sqlite3 "$VIGIL_STATE_DIR/vigil.db" "UPDATE scans SET started_at = \"2020-01-01T00:00:00.000Z\" WHERE id = 3" &&
	vigil config set scan_results_retention_days 30 &&
	expect_exit 1 vigil -q scan custom t >/dev/null &&
	vigil --json scan list >list.json &&
	jq -e "[.scans[].scan_id] == [6, 5, 4]" list.json &&
	test "$(sqlite3 "$VIGIL_STATE_DIR/vigil.db" "SELECT count(*) FROM threats WHERE scan_id = 3")" -eq 0
'
test_expect_success 'quarantine_retention_days removes old vault items, keeps new ones' '
	eicar old.com && eicar new.com &&
	vigil -q quarantine add old.com new.com &&
	sqlite3 "$VIGIL_STATE_DIR/vigil.db" "UPDATE quarantine SET quarantined_at = \"2020-01-01T00:00:00Z\" WHERE path = CAST(\"$T/old.com\" AS BLOB)" &&
	vigil --json quarantine list | jq -e ".items | length == 2" &&
	vigil config set quarantine_retention_days 10 &&
	vigil --json quarantine list >q.json 2>qerr &&
	jq -e "[.items[].path] == [\"$T/new.com\"]" q.json &&
	grep -q "removed 1 items older than quarantine_retention_days" qerr
'
test_done
