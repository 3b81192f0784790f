//! `redis-custom` at run time: the team's scripts loaded on the server, each
//! SKU's keys rendered once, and reset, reserve and snapshot run through
//! them with the arguments `backends/README.md` documents.
//!
//! Invariant: every script is loaded (and so compiled) before anything is
//! measured; a script the server cannot compile is bad input naming the
//! file and its line.

use super::custom::{self, compile_error};
use crate::backend::BackendError;
use crate::scenario::{CustomLua, Sku, SkuIdx};
use redis::aio::MultiplexedConnection;
use redis::{Pipeline, RedisError, RedisResult, Script, Value};

/// One script and the file it came from (`None`: built in).
struct Loaded {
    option: &'static str,
    file: Option<String>,
    script: Script,
}

pub(super) struct CustomScripts {
    reserve: Loaded,
    reset: Loaded,
    snapshot: Loaded,
    /// `KEYS` of each SKU, in catalogue order.
    keys: Vec<Vec<String>>,
    ids: Vec<String>,
}

impl CustomScripts {
    pub fn new(lua: &CustomLua, prefix: &str, skus: &[Sku]) -> Self {
        let loaded = |option, file: Option<&crate::scenario::SourceFile>, built_in: &str| Loaded {
            option,
            file: file.map(|f| f.path.display().to_string()),
            script: Script::new(file.map_or(built_in, |f| f.text.as_str())),
        };
        let keys = skus
            .iter()
            .enumerate()
            .map(|(i, s)| {
                lua.keys
                    .iter()
                    .map(|t| t.render(prefix, i as u32, &s.id))
                    .collect()
            })
            .collect();
        CustomScripts {
            reserve: loaded("reserve", Some(&lua.reserve), ""),
            reset: loaded("reset", lua.reset.as_ref(), custom::DEFAULT_RESET),
            snapshot: loaded("snapshot", lua.snapshot.as_ref(), custom::DEFAULT_SNAPSHOT),
            keys,
            ids: skus.iter().map(|s| s.id.clone()).collect(),
        }
    }

    /// `SCRIPT LOAD` each script. A compile error is the scenario's fault.
    pub async fn load(
        &self,
        admin: &mut MultiplexedConnection,
        backend: &str,
        scrub: impl Fn(&RedisError) -> String,
    ) -> Result<(), BackendError> {
        for one in [&self.reserve, &self.reset, &self.snapshot] {
            if let Err(e) = one.script.prepare_invoke().load_async(admin).await {
                let message = scrub(&e);
                return Err(match (compile_error(&message), &one.file) {
                    (Some((line, why)), Some(file)) => BackendError::bad_input(
                        backend,
                        format!(
                            "{file}:{line}: `{}`: Redis cannot compile the script: {why}",
                            one.option
                        ),
                    ),
                    _ => BackendError::new(
                        backend,
                        format!("cannot load the {} script: {message}", one.option),
                    ),
                });
            }
        }
        Ok(())
    }

    /// Run the reserve script: `KEYS` the SKU's keys, `ARGV` = qty, sku_id, sku.
    pub async fn reserve(
        &self,
        conn: &mut MultiplexedConnection,
        sku: SkuIdx,
        qty: u64,
    ) -> RedisResult<Value> {
        let i = sku as usize;
        self.reserve
            .script
            .key(&self.keys[i])
            .arg(qty)
            .arg(&self.ids[i])
            .arg(sku)
            .invoke_async(conn)
            .await
    }

    /// Queue the reset of one SKU: `ARGV` = on_hand, buffer, sku_id, sku.
    pub fn queue_reset(&self, pipe: &mut Pipeline, index: u32, sku: &Sku) {
        let i = index as usize;
        pipe.cmd("EVALSHA")
            .arg(self.reset.script.get_hash())
            .arg(self.keys[i].len())
            .arg(&self.keys[i])
            .arg(sku.stock)
            .arg(sku.buffer)
            .arg(&self.ids[i])
            .arg(index)
            .ignore();
    }

    /// Queue the snapshot of one SKU: `ARGV` = sku_id, sku.
    pub fn queue_snapshot(&self, pipe: &mut Pipeline, index: u32) {
        let i = index as usize;
        pipe.cmd("EVALSHA")
            .arg(self.snapshot.script.get_hash())
            .arg(self.keys[i].len())
            .arg(&self.keys[i])
            .arg(&self.ids[i])
            .arg(index);
    }

    fn script(&self, option: &str) -> &Loaded {
        match option {
            "reserve" => &self.reserve,
            "reset" => &self.reset,
            _ => &self.snapshot,
        }
    }

    /// An error of the `option` script with Redis's `user_script:N` read as
    /// the file's own line.
    pub fn locate(&self, option: &str, message: &str) -> String {
        match &self.script(option).file {
            Some(file) => message.replace("user_script:", &format!("{file}:")),
            None => message.to_string(),
        }
    }

    /// Name the file behind a failed reset or snapshot, for the message.
    pub fn describe(&self, option: &str) -> String {
        let one = self.script(option);
        match &one.file {
            Some(file) => format!("the {option} script {file}"),
            None => format!("the built-in {option} script (backends/redis/custom-{option}.lua)"),
        }
    }
}
