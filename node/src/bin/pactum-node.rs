//! `pactum-node`: the peer node's daemon and operator commands. See `pactum-node --help`.

fn main() -> std::process::ExitCode {
    pactum_node::cli::main()
}
