/*
 * vigil's embedded default rules: the EICAR test file and a few generic rules with a low
 * false-positive rate. Assembled into the binary (sigdb/embedded.c); no file on disk needed.
 */

rule EICAR_Test_File
{
    meta:
        author = "vigil"
        description = "EICAR anti-malware test file (not malware; the standard stand-in)"
        reference = "https://www.eicar.org/download-anti-malware-testfile/"
    strings:
        $eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    condition:
        $eicar at 0 and filesize <= 128
}

rule Webshell_PHP_Eval_Request
{
    meta:
        author = "vigil"
        description = "PHP that evaluates decoded data taken straight from the request"
    strings:
        $a = /eval\s*\(\s*(base64_decode|gzinflate|str_rot13|gzuncompress)\s*\(\s*\$_(POST|GET|REQUEST|COOKIE)/ nocase
        $b = /(system|passthru|shell_exec|assert)\s*\(\s*\$_(POST|GET|REQUEST|COOKIE)\s*\[/ nocase
    condition:
        filesize < 2MB and ($a or $b)
}

rule Reverse_Shell_Dev_Tcp
{
    meta:
        author = "vigil"
        description = "shell redirected to a TCP connection (bash /dev/tcp reverse shell)"
    strings:
        $a = /(ba)?sh -i\s*>&\s*\/dev\/tcp\/[0-9a-zA-Z.\-]+\/[0-9]+/
        $b = /exec\s+[0-9]+<>\/dev\/tcp\/[0-9a-zA-Z.\-]+\/[0-9]+/
    condition:
        filesize < 1MB and any of them
}

rule Miner_Stratum_Config
{
    meta:
        author = "vigil"
        description = "cryptocurrency miner with a stratum pool address and miner options"
    strings:
        $pool = /stratum\+(tcp|ssl|tls):\/\/[a-zA-Z0-9.\-]+:[0-9]{2,5}/
        $o1 = "--donate-level" ascii
        $o2 = "\"donate-level\"" ascii
        $o3 = "randomx" ascii nocase
        $o4 = "cryptonight" ascii nocase
    condition:
        $pool and 2 of ($o*)
}

rule Credential_Dumper_Mimikatz_Strings
{
    meta:
        author = "vigil"
        description = "strings of the mimikatz credential dumper"
        note = "written as patterns whose own text does not match, so that vigil's binary and this file are not detected"
    strings:
        $a = /sekurls[a]::logonpasswords/ ascii wide nocase
        $b = /gentilki[w]i/ ascii wide
        $c = /mimika[t]z/ ascii wide nocase
        $d = /lsadum[p]::sam/ ascii wide nocase
    condition:
        3 of them
}
