pub mod keys;
pub mod signing;
pub use keys::is_valid_key;
