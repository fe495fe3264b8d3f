//! The address list kept in the configuration directory as `gazetteer.csv`: written whole (to a
//! partial file, then renamed) so a crash never leaves half a list, and read back at start.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::places::{Gazetteer, RowProblem};

/// The name of the cleaned list inside the configuration directory.
pub const FILE_NAME: &str = "gazetteer.csv";

/// Writes `<config_dir>/gazetteer.csv` (creating the directory), replacing any earlier list
/// only once the new one is written whole.
pub fn save(gazetteer: &Gazetteer, config_dir: &Path) -> io::Result<PathBuf> {
    fs::create_dir_all(config_dir)?;
    let path = config_dir.join(FILE_NAME);
    let partial = config_dir.join(format!("{FILE_NAME}.partial"));
    fs::write(&partial, gazetteer.to_csv())?;
    fs::rename(&partial, &path)?;
    Ok(path)
}

/// Reads `<config_dir>/gazetteer.csv`: `None` without a directory or without the file.
/// Rows that no longer parse are left out; [`load_checked`] reports them.
pub fn load(config_dir: Option<&Path>) -> Result<Option<Gazetteer>, String> {
    Ok(load_checked(config_dir)?.map(|(g, _)| g))
}

/// As [`load`], with the rows that were skipped.
pub fn load_checked(
    config_dir: Option<&Path>,
) -> Result<Option<(Gazetteer, Vec<RowProblem>)>, String> {
    let Some(dir) = config_dir else {
        return Ok(None);
    };
    let path = dir.join(FILE_NAME);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let imported = Gazetteer::import(&text, &path.display().to_string())?;
    Ok(Some((imported.gazetteer, imported.problems)))
}
