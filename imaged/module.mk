# vigil-image: the sandboxed disk-image reader (BSD-3-Clause, like vigil). It links libvigil's
# image code (libtsk, the libyal libraries, libcryptsetup) and libseccomp; vigil starts it for
# every image (scanner/image_remote.c). Built beside vigil, and as vigil-image-san with SAN=1.
IMAGED_SRCS := imaged/main.c imaged/sink.c imaged/sandbox.c imaged/sandbox_probe.c
