pub mod keys;
pub mod pair;
pub mod partner;
pub mod sandbox;
pub mod shift;
