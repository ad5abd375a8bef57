//! `zt man --out-dir DIR` (hidden): man pages from the clap definition, with the exit-code
//! table and the environment variables appended to `zt.1`.

use crate::cli::ManArgs;
use crate::docs;
use crate::error::{Error, Result};

pub(super) fn run(args: ManArgs) -> Result<()> {
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| Error::io(format!("cannot create {}", args.out_dir.display()), e))?;
    for (name, bytes) in docs::man_pages()? {
        let path = args.out_dir.join(&name);
        std::fs::write(&path, bytes)
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    }
    Ok(())
}
