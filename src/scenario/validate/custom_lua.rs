//! `redis-custom`'s options: the Lua files and the key layout.
//!
//! Invariant: a validated `redis-custom` carries a reserve script that was
//! read and is not blank, optional reset and snapshot scripts likewise, and
//! a key layout whose every placeholder atpsim fills in. Whether the Lua
//! compiles is for the server to say: the backend loads every script before
//! anything is measured and reports a compile error as bad input.

use super::{Result, Validator};
use crate::backend::redis::custom::{self, KeyTemplate};
use crate::scenario::model::*;
use crate::scenario::raw::RawBackend;
use std::collections::HashMap;
use toml::Spanned;

impl Validator<'_> {
    pub(super) fn custom_lua(
        &self,
        r: &RawBackend,
        key: &str,
        table_at: usize,
        skus: &[Sku],
    ) -> Result<CustomLua> {
        let reserve_key = format!("{key}.reserve");
        let Some(raw_reserve) = &r.reserve else {
            return Err(self.missing(
                table_at,
                &reserve_key,
                "missing `reserve`: redis-custom names its reserve Lua file (see backends/README.md)"
                    .into(),
            ));
        };
        let reserve = self.lua_file(raw_reserve, &reserve_key)?;
        let reset = r
            .reset
            .as_ref()
            .map(|raw| self.lua_file(raw, &format!("{key}.reset")))
            .transpose()?;
        let snapshot = r
            .snapshot
            .as_ref()
            .map(|raw| self.lua_file(raw, &format!("{key}.snapshot")))
            .transpose()?;
        let (keys, keys_text) = self.key_layout(r.keys.as_ref(), key)?;
        if let Some(raw) = &r.keys {
            // The built-in reset and snapshot keep one hash per SKU at KEYS[1].
            let built_in: Vec<&str> = [("reset", &reset), ("snapshot", &snapshot)]
                .into_iter()
                .filter(|(_, f)| f.is_none())
                .map(|(name, _)| name)
                .collect();
            if !built_in.is_empty() && !keys[0].names_the_sku() {
                return Err(self.loc.span(
                    raw.span(),
                    format!("{key}.keys"),
                    format!(
                        "the first key {:?} is the same for every SKU, but the built-in {} \
                         {} one stock hash per SKU at KEYS[1]: put {{sku}} or {{sku_id}} in \
                         it, or name your own {}",
                        keys_text[0],
                        built_in.join(" and "),
                        if built_in.len() == 1 {
                            "expects"
                        } else {
                            "expect"
                        },
                        built_in.join(" and ")
                    ),
                ));
            }
        }
        if let Some(raw) = &r.keys {
            self.keys_apart(raw, &format!("{key}.keys"), &keys, &keys_text, skus)?;
        }
        Ok(CustomLua {
            reserve,
            reset,
            snapshot,
            keys,
            keys_text,
        })
    }

    /// Filled in for every SKU, no two keys of the layout may meet (an id
    /// can spell another SKU's index) and none may be the run's marker.
    fn keys_apart(
        &self,
        raw: &Spanned<Vec<Spanned<String>>>,
        full_key: &str,
        keys: &[KeyTemplate],
        text: &[String],
        skus: &[Sku],
    ) -> Result<()> {
        let mut seen: HashMap<String, (usize, usize)> = HashMap::new();
        for (t, template) in keys.iter().enumerate() {
            // A key without a placeholder is one key shared by every SKU.
            let owners = if template.names_the_sku() {
                skus.len()
            } else {
                1
            };
            for i in 0..owners {
                let key = template.render("", i as u32, &skus[i].id);
                let clash = if key == "meta" {
                    Some(
                        "is `meta`, atpsim's own marker key of the run; give the template \
                         literal text, e.g. `stock:{sku_id}`"
                            .to_string(),
                    )
                } else {
                    seen.insert(key.clone(), (t, i)).map(|(t0, i0)| {
                        format!(
                            "is also {:?} for SKU {:?}; make the templates differ in their \
                             literal text",
                            text[t0], skus[i0].id
                        )
                    })
                };
                if let Some(why) = clash {
                    return Err(self.loc.span(
                        raw.span(),
                        full_key,
                        format!(
                            "{:?} for SKU {:?} gives the key {key:?}, which {why}",
                            text[t], skus[i].id
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn lua_file(&self, raw: &Spanned<String>, full_key: &str) -> Result<SourceFile> {
        let mut file = self.source_file(raw, full_key)?;
        // Editors may save a byte-order mark, which Lua cannot compile.
        if let Some(text) = file.text.strip_prefix('\u{feff}') {
            file.text = text.to_string();
        }
        let code = file
            .text
            .lines()
            .map(str::trim)
            .any(|l| !l.is_empty() && !l.starts_with("--"));
        if !code {
            return Err(self.loc.span(
                raw.span(),
                full_key,
                format!("{} holds no Lua code", file.path.display()),
            ));
        }
        Ok(file)
    }

    /// `keys = ["stock:{sku}", …]`, else the default layout.
    fn key_layout(
        &self,
        raw: Option<&Spanned<Vec<Spanned<String>>>>,
        key: &str,
    ) -> Result<(Vec<KeyTemplate>, Vec<String>)> {
        let Some(raw) = raw else {
            let text: Vec<String> = custom::DEFAULT_KEYS.iter().map(|k| k.to_string()).collect();
            let keys = text
                .iter()
                .map(|k| KeyTemplate::parse(k).expect("the default layout parses"))
                .collect();
            return Ok((keys, text));
        };
        let full_key = format!("{key}.keys");
        let list = raw.get_ref();
        if list.is_empty() || list.len() > custom::MAX_KEYS {
            return Err(self.loc.span(
                raw.span(),
                &full_key,
                format!(
                    "expected 1 to {} key templates, got {}",
                    custom::MAX_KEYS,
                    list.len()
                ),
            ));
        }
        let mut keys = Vec::with_capacity(list.len());
        let mut text = Vec::with_capacity(list.len());
        for (n, item) in list.iter().enumerate() {
            let template = KeyTemplate::parse(item.get_ref()).map_err(|e| {
                self.loc.span(
                    item.span(),
                    format!("{full_key}[{n}]"),
                    format!(
                        "{:?}, character {}: {}",
                        item.get_ref(),
                        e.column,
                        e.message
                    ),
                )
            })?;
            if text.contains(item.get_ref()) {
                return Err(self.loc.span(
                    item.span(),
                    format!("{full_key}[{n}]"),
                    format!("{:?} is listed twice", item.get_ref()),
                ));
            }
            keys.push(template);
            text.push(item.get_ref().clone());
        }
        Ok((keys, text))
    }
}
