//! The login's QR code: the verification URL drawn in a terminal so a phone can open it.
//! Two modules per character cell with Unicode half blocks (`▀ ▄ █`, qrcode's `Dense1x2`),
//! dark on light whatever the terminal's colours (black on bright white, SGR 30;107), inside
//! the standard four-module quiet zone, so the code scans on dark and light themes alike.
//! Shown only where it fits: on a terminal wide and tall enough, never in a pipe or a file.

use qrcode::render::unicode::Dense1x2;
use qrcode::{EcLevel, QrCode};

/// Black on bright white, then back to the terminal's own colours.
const DARK_ON_LIGHT: &str = "\x1b[30;107m";
const RESET: &str = "\x1b[0m";

/// A QR code of `url`, as lines of half blocks (no colours): module row `2i` is the top
/// half of line `i`, row `2i + 1` its bottom half; the quiet zone is included. `None` when
/// the URL is too long for any QR code.
pub(super) fn lines(url: &str) -> Option<Vec<String>> {
    // Level L (7 % recovery): a screen is not a sticker that gets scratched, and the smallest
    // code fits the most terminals.
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::L).ok()?;
    let text = code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Dark)
        .light_color(Dense1x2::Light)
        .quiet_zone(true)
        .build();
    Some(text.lines().map(str::to_owned).collect())
}

/// The lines to write to a terminal of `cols` × `rows` for `url`, coloured dark on light, or
/// `None` when the code (and `reserve` rows for what must stay visible with it) does not fit.
pub(super) fn for_terminal(url: &str, cols: u16, rows: u16, reserve: u16) -> Option<Vec<String>> {
    let lines = lines(url)?;
    let width = lines.first().map(|l| l.chars().count())?;
    if width > usize::from(cols) || lines.len() + usize::from(reserve) > usize::from(rows) {
        return None;
    }
    Some(
        lines
            .into_iter()
            .map(|l| format!("{DARK_ON_LIGHT}{l}{RESET}"))
            .collect(),
    )
}

/// The size of the terminal on stderr (columns, rows), or `None` when stderr is not one.
pub(super) fn stderr_size() -> Option<(u16, u16)> {
    size_of(libc::STDERR_FILENO)
}

fn size_of(fd: libc::c_int) -> Option<(u16, u16)> {
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we own; on a non-terminal the
    // call fails and the struct is not read.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) } == 0;
    (ok && ws.ws_col > 0 && ws.ws_row > 0).then_some((ws.ws_col, ws.ws_row))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read half-block lines back into module rows (true = dark).
    fn modules(lines: &[String]) -> Vec<Vec<bool>> {
        let mut rows = Vec::new();
        for l in lines {
            let (top, bottom): (Vec<bool>, Vec<bool>) = l
                .chars()
                .map(|c| match c {
                    ' ' => (false, false),
                    '▀' => (true, false),
                    '▄' => (false, true),
                    '█' => (true, true),
                    other => panic!("unexpected {other:?} in {l:?}"),
                })
                .unzip();
            rows.push(top);
            rows.push(bottom);
        }
        rows
    }

    const URL: &str = "https://idp.example.com/device?user_code=WDJB-MJHT";

    #[test]
    fn the_drawing_is_the_codes_modules_inside_a_quiet_zone() {
        let code = QrCode::with_error_correction_level(URL, EcLevel::L).unwrap();
        let n = code.width();
        let colors = code.to_colors();
        let drawn = modules(&lines(URL).unwrap());
        let side = n + 8;
        // An odd side leaves the last line's bottom half light.
        assert_eq!(drawn.len(), side + side % 2);
        for (y, row) in drawn.iter().enumerate() {
            assert_eq!(row.len(), side, "row {y}");
            for (x, &dark) in row.iter().enumerate() {
                let inside = (4..n + 4).contains(&x) && (4..n + 4).contains(&y);
                let want = inside && colors[(y - 4) * n + (x - 4)] == qrcode::Color::Dark;
                assert_eq!(dark, want, "module ({x}, {y})");
            }
        }
        // The finder pattern's top edge: seven dark modules after the quiet zone.
        assert!(drawn[4][4..11].iter().all(|d| *d) && !drawn[4][3] && !drawn[4][11]);
    }

    #[test]
    fn the_code_is_shown_only_where_it_fits() {
        let side = lines(URL).unwrap()[0].chars().count() as u16;
        let tall = lines(URL).unwrap().len() as u16;
        let shown = for_terminal(URL, side, tall + 2, 2).unwrap();
        assert!(
            shown
                .iter()
                .all(|l| l.starts_with(DARK_ON_LIGHT) && l.ends_with(RESET))
        );
        assert!(for_terminal(URL, side - 1, 200, 2).is_none(), "too narrow");
        assert!(for_terminal(URL, 200, tall + 1, 2).is_none(), "too short");
        // A provider's long address needs a bigger code than a narrow terminal has room for.
        let long = format!("{URL}&state={}", "x".repeat(60));
        assert!(
            for_terminal(&long, 40, 50, 2).is_none(),
            "a 40-column terminal"
        );
        assert!(for_terminal(&long, 80, 50, 2).is_some(), "an 80-column one");
        assert!(
            for_terminal(&"x".repeat(4000), 500, 500, 0).is_none(),
            "too long for a QR"
        );
    }

    #[test]
    fn a_pipe_has_no_size() {
        let mut fds = [0; 2];
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        assert_eq!(size_of(fds[1]), None);
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
    }
}
