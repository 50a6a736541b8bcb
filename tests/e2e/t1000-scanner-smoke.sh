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
test_done
