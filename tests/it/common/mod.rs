pub mod keys;
pub mod pair;
pub mod shift;
