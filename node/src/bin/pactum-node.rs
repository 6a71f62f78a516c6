//! `pactum-node`: the peer node's daemon and operator commands. See `pactum-node --help`.

// The node allocates many small short-lived buffers on several threads at once (messages,
// entries, sled's pages); mimalloc's per-thread heaps serve that far more cheaply than glibc's
// arenas (see the benchmark figures in node/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    pactum_node::cli::main()
}
