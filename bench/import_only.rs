//! The CSV import step of the benchmark on its own (`bench/import.rs`), for a
//! release measurement without the whole run:
//!
//!   cargo run --release --example import-bench [-- --smoke]
//!
//! Prints the same note line the full report carries.

#[path = "import.rs"]
mod import;

fn main() {
    let smoke = std::env::args().skip(1).any(|a| a == "--smoke");
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("import-bench: no temporary directory: {e}");
            std::process::exit(1);
        }
    };
    match import::csv_rows(dir.path(), smoke) {
        Ok(note) => println!("{note}"),
        Err(e) => {
            eprintln!("import-bench: {e}");
            std::process::exit(1);
        }
    }
}
