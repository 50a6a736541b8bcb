#!/usr/bin/env bash
# vigil health: versions, settings, identity, vault, store integrity, last scans.
. "$(dirname "$0")/lib.sh"

mkdir -p t && eicar t/e.com

test_expect_success 'health --json has every field, with the right types' '
	expect_exit 1 vigil -q scan custom t >/dev/null && vigil --json health >h.json &&
	jq -e "(.app_version | type) == \"string\" and (.sig_version | type) == \"number\" and
	       (.real_time_protection_enabled | type) == \"boolean\" and (.passive_mode | type) == \"boolean\" and
	       (.machine_guid | test(\"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$\")) and
	       (.org_id | type) == \"string\" and .quarantine_count == 0 and .store_integrity == \"ok\" and
	       (.last_scans | length) == 1 and .last_scans[0].threats_found == 1" h.json
'
test_expect_success 'the machine guid stays the same; org_id and real-time settings come from the config' '
	g1=$(vigil health --field machine_guid) && g2=$(vigil health --field machine_guid) &&
	test -n "$g1" && test "$g1" = "$g2" &&
	vigil config set org_id acme-ir &&
	vigil config set antivirus_engine.enable_real_time_protection true &&
	test "$(vigil health --field org_id)" = "acme-ir" &&
	test "$(vigil health --field real_time_protection_enabled)" = "true"
'
test_expect_success 'sig_version in health follows imports and rollback; quarantine_count follows the vault' '
	v1=$(vigil health --field sig_version) &&
	printf "rule H_One { condition: false }\n" >h.yar && vigil -q sigdb import h.yar &&
	test "$(vigil health --field sig_version)" -eq $((v1 + 1)) &&
	vigil -q quarantine add t/e.com && test "$(vigil health --field quarantine_count)" -eq 1
'
test_expect_success 'an unknown field exits 2 naming it' '
	expect_exit 2 vigil health --field nope 2>err && grep -q "nope" err
'
test_done
