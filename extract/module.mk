# vigil-extract: the sandboxed deep-container extractor (GPL-2.0, links libclamav; vigil never does).
EXTRACT_SRCS := extract/main.c extract/wire.c extract/sandbox.c extract/tmpdir.c \
                extract/clam.c extract/layer.c extract/flate.c
EXTRACT_PKGS := libclamav libseccomp zlib
