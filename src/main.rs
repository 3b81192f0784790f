//! The `atpsim` binary: parse the command line, run it, exit with its code.

use clap::Parser;

fn main() {
    let cli = atpsim::cli::Cli::parse();
    std::process::exit(atpsim::app::main(cli));
}
