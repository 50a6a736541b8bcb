#!/usr/bin/env bash
# Signed offline bundles: create, verify, install; tampered, foreign-key and downgraded
# bundles refused with the active signatures untouched.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || { echo "openssl is needed to make keys"; exit 77; }
openssl genpkey -algorithm ed25519 -out k.pem 2>/dev/null && openssl pkey -in k.pem -pubout -out k.pub &&
openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null && openssl pkey -in other.pem -pubout -out other.pub ||
	{ echo "cannot make Ed25519 keys"; exit 77; }
mkdir -p src && printf 'rule BD_One { strings: $a = "BDMARK1" condition: $a }\n' >src/one.yar
echo "listed payload" >listed.bin
printf '%s;BD.Listed\n' "$(sha256sum listed.bin | cut -d" " -f1)" >src/list.ioc
echo BDMARK1 >m1
printf 'rule BD_Two { strings: $a = "BDMARK2" condition: $a }\n' >two.yar
echo BDMARK2 >m2

scan_names() { "$VIGIL" --json scan custom "$@" | jq -c "[.threats[].name] | sort"; }

test_expect_success 'bundle create, then update with the public key installs its rules and hashes' '
	vigil sigdb bundle create --key k.pem --out b5.tar --version 5 src >/dev/null &&
	tar tf b5.tar | sort | tr "\n" " " | grep -q "files/list.ioc files/one.yar manifest.json manifest.sig" &&
	vigil --json sigdb update b5.tar --pubkey k.pub >u.json &&
	jq -e ".bundle_version == 5" u.json &&
	test "$(scan_names m1 listed.bin)" = "[\"BD.Listed\",\"BD_One\"]" &&
	vigil --json sigdb list | jq -e "[.sources[] | select(.name == \"one.yar\") | .rules] == [1]"
'
test_expect_success 'a bundle signed by another key is refused; the active signatures stay' '
	vigil sigdb bundle create --key other.pem --out foreign.tar --version 9 two.yar >/dev/null &&
	expect_exit 2 vigil sigdb update foreign.tar --pubkey k.pub 2>err &&
	grep -q "signature does not verify" err &&
	test "$(scan_names m1 m2 listed.bin)" = "[\"BD.Listed\",\"BD_One\"]"
'
test_expect_success 'a bundle with an altered file is refused naming it; nothing changes' '
	mkdir -p x && (cd x && tar xf ../b5.tar && printf "rule BD_One { condition: true }\n" >files/one.yar &&
		tar cf ../altered.tar manifest.json manifest.sig files) &&
	expect_exit 2 vigil sigdb update altered.tar --pubkey k.pub --allow-downgrade 2>err &&
	grep -q "one.yar. was altered" err &&
	expect_exit 0 vigil scan custom m2 >/dev/null &&
	test "$(scan_names m1 listed.bin)" = "[\"BD.Listed\",\"BD_One\"]"
'
test_expect_success 'a bundle missing a file, or with an extra one, is refused' '
	(cd x && tar xf ../b5.tar && tar cf ../missing.tar manifest.json manifest.sig files/one.yar &&
		echo extra >files/extra.yar && tar cf ../extra.tar manifest.json manifest.sig files) &&
	expect_exit 2 vigil sigdb update missing.tar --pubkey k.pub --allow-downgrade 2>/dev/null &&
	expect_exit 2 vigil sigdb update extra.tar --pubkey k.pub --allow-downgrade 2>/dev/null
'
test_expect_success 'a downgrade (or the same version) is refused unless --allow-downgrade' '
	vigil sigdb bundle create --key k.pem --out b3.tar --version 3 two.yar >/dev/null &&
	expect_exit 2 vigil sigdb update b3.tar --pubkey k.pub 2>err && grep -q "not newer" err &&
	expect_exit 2 vigil sigdb update b5.tar --pubkey k.pub 2>/dev/null &&
	test "$(scan_names m1 m2)" = "[\"BD_One\"]" &&
	vigil sigdb update b3.tar --pubkey k.pub --allow-downgrade >/dev/null &&
	test "$(scan_names m1 m2 listed.bin)" = "[\"BD_Two\"]"
'
test_expect_success 'a newer bundle installs; the trusted key can come from the config; rollback returns' '
	vigil sigdb bundle create --key k.pem --out b7.tar --version 7 src two.yar >/dev/null &&
	vigil config set sigdb.bundle_public_key "$T/k.pub" &&
	vigil sigdb update b7.tar >/dev/null &&
	test "$(scan_names m1 m2 listed.bin)" = "[\"BD.Listed\",\"BD_One\",\"BD_Two\"]" &&
	vigil sigdb rollback >/dev/null &&
	test "$(scan_names m1 m2 listed.bin)" = "[\"BD_Two\"]"
'
test_expect_success 'a bundle that is not a tar, or a key that is not Ed25519, is a clear error' '
	echo "not a bundle" >junk.tar &&
	expect_exit 2 vigil sigdb update junk.tar --pubkey k.pub 2>err && grep -q "junk.tar" err &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa.pem 2>/dev/null &&
	expect_exit 2 vigil sigdb bundle create --key rsa.pem --out r.tar src 2>err &&
	grep -q "not an Ed25519" err && test ! -e r.tar
'
test_done
