/*
 * scanner/filetype.c — the external variable filetype, as LOKI and THOR define it: a name
 * ("EXE", "ELF", "PDF", "ZIP", ...) from the object's first bytes, so that published rules
 * such as `filetype == "EXE"` or `filetype != "PDF"` mean here what their authors meant.
 *
 * The header/name pairs below are facts taken from signature-base's file type list,
 * misc/file-type-signatures.txt (https://github.com/Neo23x0/signature-base, commit
 * 8a89b3bf54517bbc35718460321d42536e1e6198, 2026-04-09; author Florian Roth and
 * contributors; the repository is under the Detection Rule License 1.1, whose attribution
 * this comment keeps). LOKI (loki.py, initialize_filetype_magics and get_file_type) loads
 * that list into a dictionary keyed by the hex header and returns the first entry, in file
 * order, whose bytes start the file; a header listed twice keeps its first place and its last
 * name. This table is that dictionary, in that order, so the same file gets the same name
 * (also where an earlier, shorter header shadows a later one: "<%@" is "JSP", as in LOKI).
 * vigil's code matches it; nothing of LOKI (GPL-3.0) is copied.
 *
 * After the list come names that THOR gives and signature-base's rules test (GIF, PNG,
 * MACH-O) but the public list lacks, from their formats' published headers. An object no
 * header names gets a name from libmagic's type where one fits (PHP without "<?php" first,
 * Python), else "UNKNOWN", LOKI's word for it.
 */
#include "scanner/engine_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct sig {
	const char *hex;	/* the header as the list writes it */
	const char *name;
};

static const struct sig sigs[] = {
	/* signature-base misc/file-type-signatures.txt, LOKI's order */
	{ "01 06 01 00",                                  "Job File" },
	{ "1F 8B 08",                                     "GZIP" },
	{ "25 50 44 46",                                  "PDF" },
	{ "30 00 00 00 4C 66 4C 65",                      "EVT" },
	{ "50 4B 03 04 14 00 06 00",                      "Office" },
	{ "50 4B 53 70 58",                               "PKSFX" },
	{ "37 7A BC AF 27 1C",                            "7Zip" },
	{ "46 75 6E 63 74 69 6F 6E",                      "VBS" },
	{ "42 5A 68",                                     "BZip2" },
	{ "5F 27 A8 89",                                  "JAR" },
	{ "FF D8 FF",                                     "JPEG" },
	{ "50 4B 05 06",                                  "PKZIP" },
	{ "52 61 72 21 1A 07",                            "RAR" },
	{ "57 69 6E 5A 69 70",                            "WinZIP" },
	{ "72 65 67 66",                                  "Registry Hive" },
	{ "7B 5C 72 74",                                  "RTF" },
	{ "75 73 74 61 72",                               "TAR" },
	{ "D4 C3 B2 A1",                                  "WINPCAP" },
	{ "A1 B2 C3 D4",                                  "LIBPCAP" },
	{ "A1 B2 CD 34",                                  "LIBPCAP" },
	{ "FF 4B 45 59 42 20 20 20",                      "SYS Keyboard Driver" },
	{ "FF FE 3C 00 3F 00 78 00 6D 00 6C",             "Windows At Job" },
	{ "3C 3F 70 68 70",                               "PHP" },
	{ "0D 44 4F 43",                                  "DOC" },
	{ "FF D8 FF E0",                                  "JPEG" },
	{ "23 20 44 69 73 6B 20 44",                      "VMDK" },
	{ "45 6C 66 46 69 6C",                            "EVTX" },
	{ "41 45 53",                                     "AESCrypt" },
	{ "43 4F 57 44",                                  "VMDK" },
	{ "43 57 53",                                     "CWS" },
	{ "5A 57 53",                                     "ZWS" },
	{ "46 57 53",                                     "FWS (Flash)" },
	{ "46 49 4C 45",                                  "NTFS MFT" },
	{ "4A 41 52 43 53 00",                            "JARCS" },
	{ "4B 44 4D",                                     "VMDK" },
	{ "4C 00 00 00 01 14 02 00",                      "LNK" },
	{ "4D 53 43 46",                                  "CAB" },
	{ "50 4B 03 04",                                  "ZIP" },
	{ "3C 3F 78 6D 6C",                               "XML" },
	{ "63 6F 6E 65 63 74 69 78",                      "VHD" },
	{ "D0 CF 11 E0 A1 B1 1A E1",                      "OLE" },
	{ "40 65 63 68",                                  "BATCH" },
	{ "40 45 43 48",                                  "BATCH" },
	{ "FF FE 90 02 01 00",                            "Trace Log File" },
	{ "23 21 2F",                                     "UNIX SCRIPT" },
	{ "4D 44 4D 50",                                  "MDMP" },
	{ "FF FE 3C 00 25 00",                            "JSP" },
	{ "FE FF 00 3C 00 25",                            "JSP" },
	{ "30 3A 30 30 3A 30 30",                         "Log Relative" },
	{ "7F 45",                                        "ELF" },
	{ "23 21",                                        "Script" },
	{ "1F 9D",                                        "TARZ" },
	{ "1F A0",                                        "TARZ" },
	{ "3C 25",                                        "JSP" },
	{ "3C 25 40",                                     "ASP" },
	{ "FF FE 3C 00 25 00 40 00",                      "ASP" },
	{ "FE FF 00 3C 00 25 00 40",                      "ASP" },
	{ "4D 5A",                                        "EXE" },
	{ "FF FE",                                        "UTF16-Encoded File LE" },
	{ "FE FF",                                        "UTF16-Encoded File BE" },
	{ "CA FE",                                        "Java Class or DYLIB" },
	{ "5B 30 30 30 30 30 30 30 30 3A",                "MimiLSA Log" },
	{ "65 63 68 6F",                                  "Batch" },
	{ "40 65 63 68 6F",                               "Batch" },
	{ "5B 49 6E 74",                                  "Internet Shortcut" },
	{ "FF FE 76 00 61 00 72 00",                      "Emotet JS" },
	{ "FF FE 56 00 65 00 72 00 73 00 69 00 6F",       "WER" },
	{ "56 00 65 00 72 00 73 00 69 00 6F 00 6E",       "WER" },
	{ "41 54 26 54 46 4F 52 4D",                      "Gitlab EXIF" },
	{ "3C 62 6F 64 79 3E",                            "Web" },
	{ "4F 6E 20 45 72 72 6F 72 20 52 65 73 75 6D 65", "VBS" },
	{ "3C 68 74 6D 6C",                               "HTML" },
	{ "3C 48 54 4D 4C",                               "HTML" },
	{ "2D 2D 2D 2D 2D 42 45 47 49 4E",                "Certificate PEM" },
	{ "53 61 6C 74 65 64 5F 5F",                      "OpenSSL Salted Format" },
	{ "3C 25 2D 2D",                                  "JSP" },
	{ "54 56",                                        "Base64 EXE" },
	/* names THOR uses that the list lacks */
	{ "47 49 46 38",                                 "GIF" },
	{ "89 50 4E 47 0D 0A 1A 0A",                     "PNG" },
	{ "FE ED FA CE",                                 "MACH-O" },
	{ "FE ED FA CF",                                 "MACH-O" },
	{ "CE FA ED FE",                                 "MACH-O" },
	{ "CF FA ED FE",                                 "MACH-O" },
};

#define NSIGS (sizeof(sigs) / sizeof(sigs[0]))
#define SIG_MAX 16

/* The headers as bytes, made once from the text above. */
static unsigned char sig_bytes[NSIGS][SIG_MAX];
static size_t sig_len[NSIGS];
static pthread_once_t sig_once = PTHREAD_ONCE_INIT;

static void
sigs_compile(void)
{
	size_t i;

	for (i = 0; i < NSIGS; i++) {
		const char *p = sigs[i].hex;
		char *end;

		while (*p != '\0' && sig_len[i] < SIG_MAX) {
			unsigned long b = strtoul(p, &end, 16);

			if (end == p)
				break;
			sig_bytes[i][sig_len[i]++] = (unsigned char)b;
			p = end;
		}
	}
}

/* libmagic's types for objects no header names (THOR's names). */
static const char *
by_mime(const char *mime)
{
	static const struct {
		const char *mime, *type;
	} map[] = {
		{ "application/x-dosexec", "EXE" },
		{ "application/vnd.microsoft.portable-executable", "EXE" },
		{ "application/x-executable", "ELF" },
		{ "application/x-pie-executable", "ELF" },
		{ "application/x-sharedlib", "ELF" },
		{ "application/x-mach-binary", "MACH-O" },
		{ "text/x-php", "PHP" },
		{ "text/x-python", "Python" },
		{ "text/x-script.python", "Python" },
		{ "text/rtf", "RTF" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(mime, map[i].mime) == 0)
			return map[i].type;
	return "UNKNOWN";
}

const char *
filetype_name(const unsigned char *data, size_t len, const char *mime)
{
	size_t i;

	pthread_once(&sig_once, sigs_compile);
	for (i = 0; i < NSIGS; i++)
		if (sig_len[i] > 0 && sig_len[i] <= len && memcmp(data, sig_bytes[i], sig_len[i]) == 0)
			return sigs[i].name;
	return mime != NULL ? by_mime(mime) : "UNKNOWN";
}
