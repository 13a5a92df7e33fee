//! `cohort`: check, evaluate, assign and simulate experiment rules; collect exposures and
//! events (`serve`), read their results (`results`) and export them (`export`); analyse any
//! experiment's numbers with GrowthBook's statistics (`analyze`).
//!
//! Every command reads Statsig spec files (`.json`) and Cohort's hand-written rules (`.toml`)
//! with the same engine the app uses. Errors are one clear line on stderr and a non-zero exit
//! status, never a panic trace; a closed pipe ends a command quietly ([`output`]).

mod commands;
mod output;
mod rules;
mod store;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Cohort: experiments assigned exactly as Statsig assigns them.
#[derive(Parser)]
#[command(name = "cohort", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Check(commands::check::Args),
    Eval(commands::eval::Args),
    Assign(commands::assign::Args),
    Simulate(commands::simulate::Args),
    Serve(commands::serve::Args),
    Results(commands::results::Args),
    Export(commands::export::Args),
    Analyze(commands::analyze::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Eval(args) => commands::eval::run(args),
        Command::Assign(args) => commands::assign::run(args),
        Command::Simulate(args) => commands::simulate::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Results(args) => commands::results::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Analyze(args) => commands::analyze::run(args),
    };
    output::finish(result)
}
