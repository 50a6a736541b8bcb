# vigil-image: the sandboxed disk-image reader (BSD-3-Clause, like vigil). It links libvigil's
# image code (libtsk, the libyal libraries, libcryptsetup) and libseccomp; vigil starts it for
# every image (scanner/image_remote.c). Built beside vigil, and as vigil-image-san with SAN=1.
IMAGED_SRCS := imaged/main.c imaged/sink.c imaged/sandbox.c imaged/sandbox_probe.c

# build/vigil-btrfs.so: loaded into btrfs-progs' `btrfs restore` to serve it a btrfs volume
# from the image walk and take the files it restores (imaged/btrfs_shim.c). Built once, never
# under the sanitizers (it lives in btrfs's address space), and without _FILE_OFFSET_BITS,
# which would rename the open() it interposes to open64(). It opens libseccomp itself (dlopen).
BTRFS_SHIM_SRCS := imaged/btrfs_shim.c scanner/image_wire.c
