/*
 * extract/flate.h — a PDF stream libclamav handed over still compressed.
 *
 * libclamav 1.4 delivers some PDF embedded-file streams (an attachment qpdf wrote with
 * /FlateDecode) as the object itself: the rest of its dictionary, "stream", and the
 * compressed bytes. Those are inflated here with zlib, and the result goes to vigil as one
 * more layer below that one, labelled "[INFLATED]".
 */
#ifndef VIGIL_EXTRACT_FLATE_H
#define VIGIL_EXTRACT_FLATE_H

#include <stddef.h>

/*
 * If buf is a zlib stream (RFC 1950 header, to its checksum), or a PDF stream object whose
 * dictionary names /FlateDecode followed by one, its inflated bytes (malloc'd, *out_len of
 * them, at most max); else NULL. A stream that inflates past max is cut there (the layer is
 * still scanned, as far as the limit).
 */
unsigned char *flate_inflate(const void *buf, size_t len, size_t max, size_t *out_len);

#endif
