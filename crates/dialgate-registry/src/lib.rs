#![doc = include_str!("../README.md")]
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod cli;
pub mod format;
pub mod load;
pub mod swap;
pub mod synth;

pub use format::{
    area_code, nanp_national, write_atomic, BuildError, Builder, FileError, FileProblem, Lookup,
    Refusal, Registry, FORMAT_VERSION,
};
pub use swap::{ListRefusal, LiveRegistry, RegistryList, DEFAULT_MAX_AGE_DAYS};
