# peers-plugin.sh - adds our bus to ../shared/bench-peers/run.sh (sourced by it):
#
#   PLUGINS=/work/main/bench/peers-plugin.sh /work/shared/bench-peers/run.sh
#
# Transports it adds (all built from bench/tp_shmif.c, linked with libshmif.a):
#   shmif       native format, 16 MiB ring, the library's adaptive receive (spin 50 us, then
#               sleep on the futex)
#   shmifsleep  native format, spin 0: the reader sleeps as soon as the ring is empty, the
#               like-for-like peer of the kernel transports, whose ends block in the kernel
#   shmifbsd    NetBSD rump's format (1 MiB ring, bus lock on every read), adaptive receive
# SHMIF_TRANSPORTS overrides that list. SHMIF_BUILD (default /work/main/build/release) is a
# build directory of this project holding shmif/libshmif.a; SHMIF_BUS_DIR (default /dev/shm,
# RAM-backed: a bus on a disk file would be written back) is where bus files go.
#
# Environment the transports read at open: SHMIF_BUS_SIZE (ring bytes, default 16m),
# SHMIF_SPIN_NS, SHMIF_FORMAT (see tp_shmif.c); export them before run.sh to change all three.

SHMIF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHMIF_BUILD=${SHMIF_BUILD:-$SHMIF_ROOT/build/release}
SHMIF_BUS_DIR=${SHMIF_BUS_DIR:-/dev/shm}

if [ ! -f "$SHMIF_BUILD/shmif/libshmif.a" ]; then
    echo "[peers-plugin] $SHMIF_BUILD/shmif/libshmif.a not found: build the project first" \
        "(cmake --preset release && cmake --build --preset release), or set SHMIF_BUILD" >&2
    return 1
fi

for _t in ${SHMIF_TRANSPORTS:-shmif shmifsleep shmifbsd}; do
    TRANSPORTS="$TRANSPORTS $_t"
    eval "src_$_t=\$SHMIF_ROOT/bench/tp_shmif.c"
    eval "libs_$_t=\"\$SHMIF_BUILD/shmif/libshmif.a -lstdc++ -lpthread\""
    eval "cflags_$_t=\"-I\$SHMIF_ROOT/shmif/include\""
    # each transport gets its own bus file, made fresh by setup_ and removed by teardown_
    eval "setup_$_t() { shmif_setup $_t; }"
    eval "teardown_$_t() { shmif_teardown $_t; }"
    eval "arg_$_t() { echo \"\$SHMIF_BUS_DIR/pb-$_t.\$\$.bus\"; }"
    eval "pfx_a_$_t() { :; }"
    eval "pfx_b_$_t() { :; }"
    eval "pin_helper_$_t() { :; }" # no helper process: the bus is just a file
done
unset _t
cflags_shmifsleep="$cflags_shmifsleep -DTP_SHMIF_SPIN_NS=0 -DTP_SHMIF_NAME=\"shmif-native-sleep\""
cflags_shmifbsd="$cflags_shmifbsd -DTP_SHMIF_NETBSD"

# The first side to open the bus creates it (tp_shmif.c); a fresh path means no stale ring.
shmif_setup() {
    local p
    p=$(arg_"$1" a)
    rm -f "$p" "$p".tmp*
    [ -d "$SHMIF_BUS_DIR" ] && [ -w "$SHMIF_BUS_DIR" ]
}
shmif_teardown() {
    local p
    p=$(arg_"$1" a)
    rm -f "$p" "$p".tmp*
}
