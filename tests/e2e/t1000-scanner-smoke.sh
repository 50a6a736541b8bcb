#!/usr/bin/env bash
# The scanner's basic promise: EICAR found, clean files not, exit codes 0/1/2.
. "$(dirname "$0")/lib.sh"

mkdir -p tree/clean
echo "nothing to see" >tree/clean/readme.txt
eicar tree/eicar.com

test_expect_success 'EICAR as a plain file is found, exit 1' '
	expect_exit 1 vigil scan custom tree >out &&
	grep -q "tree/eicar.com: EICAR_Test_File FOUND" out
'
test_expect_success 'a clean tree exits 0 and reports nothing' '
	expect_exit 0 vigil scan custom tree/clean >out &&
	! grep -q FOUND out
'
test_expect_success 'a path that does not exist exits 2 naming it' '
	expect_exit 2 vigil scan custom does-not-exist 2>err &&
	grep -q "does-not-exist" err
'
test_expect_success 'vigil does not detect itself: its binary and its default rules are clean' '
	repo=$(cd "$(dirname "$VIGIL")/.." && pwd) &&
	mkdir -p self && cp "$VIGIL" self/vigil && cp "$repo/sigdb/default_rules.yar" self/ &&
	expect_exit 0 vigil scan custom self >out
'
test_expect_success 'the default rules find mimikatz strings in a dump' '
	# the strings are put together here, so that this script itself is not a detection
	mkdir -p dump && printf "a %s%s b %s%s c %s%s\n" sekurlsa ::logonpasswords mimi katz gentil kiwi >dump/lsass.txt &&
	expect_exit 1 vigil scan custom dump >out &&
	grep -q "lsass.txt: Credential_Dumper_Mimikatz_Strings FOUND" out
'
test_done
