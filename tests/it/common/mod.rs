pub mod pair;
pub mod shift;
