pub mod phone;
pub use phone::{E164, NumberError, NumberReader, Region};
