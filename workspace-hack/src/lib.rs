//! Empty: this crate exists for its dependency table (see Cargo.toml).
