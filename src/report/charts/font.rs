//! The font every chart draws with, compiled into the binary.
//!
//! Invariant: PNG text never depends on the machine's fonts: DejaVu Sans
//! (Bitstream Vera licence, `assets/fonts/DejaVuSans-LICENSE.txt`) is
//! registered under the one family name the charts use. An SVG names the
//! same family, and its viewer draws it with the viewer's own fonts.

use std::sync::OnceLock;

/// The family name charts ask for.
pub const FAMILY: &str = "sans-serif";

static DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Register the font once per process; later calls return the first result.
pub fn register() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, plotters::style::FontStyle::Normal, DEJAVU_SANS)
            .map_err(|_| "the built-in chart font does not parse".to_string())
    })
    .clone()
}
