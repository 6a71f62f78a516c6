//! A QR code of a share link, drawn in a terminal with Unicode half blocks (two modules per
//! character cell), light modules as blocks so that it reads as dark-on-light on a dark
//! terminal, with the quiet zone the standard asks for.

use qrcodegen::{QrCode, QrCodeEcc};

/// Modules of light border around the code.
const QUIET: i32 = 2;

/// `text` as a QR code for a terminal.
pub fn terminal(text: &str) -> anyhow::Result<String> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|_| anyhow::anyhow!("the link is too long for a QR code"))?;
    let size = code.size();
    let light = |x: i32, y: i32| {
        !(0..size).contains(&x) || !(0..size).contains(&y) || !code.get_module(x, y)
    };
    let mut out = String::new();
    let mut y = -QUIET;
    while y < size + QUIET {
        for x in -QUIET..size + QUIET {
            out.push(match (light(x, y), light(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
        y += 2;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_link_becomes_a_square_of_half_blocks() {
        let art = super::terminal("http://127.0.0.1:7300/share/00ff").expect("encodes");
        let lines: Vec<&str> = art.lines().collect();
        let width = lines[0].chars().count();
        assert!(lines.iter().all(|line| line.chars().count() == width));
        // Two modules per line: the height is about half the width.
        assert_eq!(lines.len(), width.div_ceil(2));
    }
}
