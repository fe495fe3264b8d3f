//! The full-screen console: one inbox (keys, the 1 s tick, signals), one update, one draw.
//! Views borrow the app each frame; none owns a copy of the data.

pub mod app;
pub mod command;
pub mod keymap;
pub mod lean;
pub mod map;
pub mod run;
pub mod text;
pub mod theme;
pub mod training;
pub mod view;
