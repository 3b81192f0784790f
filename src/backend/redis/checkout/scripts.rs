//! `redis-lua`'s checkout scripts (`backends/redis/checkout/`): each order
//! script is the shared `lib.lua` followed by its own body, so one call is
//! one script and so one atomic step on the server.

use redis::aio::MultiplexedConnection;
use redis::{RedisResult, Script};

const LIB: &str = include_str!("../../../../backends/redis/checkout/lib.lua");
const TAKE: &str = include_str!("../../../../backends/redis/checkout/take.lua");
const CONFIRM: &str = include_str!("../../../../backends/redis/checkout/confirm.lua");
const RELEASE: &str = include_str!("../../../../backends/redis/checkout/release.lua");
const REFUND: &str = include_str!("../../../../backends/redis/checkout/refund.lua");
const ADJUST: &str = include_str!("../../../../backends/redis/checkout/adjust.lua");
const REAP: &str = include_str!("../../../../backends/redis/checkout/reap.lua");

pub struct Scripts {
    pub take: Script,
    pub confirm: Script,
    pub release: Script,
    pub refund: Script,
    pub adjust: Script,
    pub reap: Script,
}

impl Scripts {
    pub fn new() -> Self {
        let with_lib = |body: &str| Script::new(&format!("{LIB}\n{body}"));
        Scripts {
            take: with_lib(TAKE),
            confirm: with_lib(CONFIRM),
            release: with_lib(RELEASE),
            refund: with_lib(REFUND),
            // Touches one hash and reaps nothing: it needs none of the library.
            adjust: Script::new(ADJUST),
            reap: with_lib(REAP),
        }
    }

    /// `SCRIPT LOAD` each at open, so no measured call pays the compile;
    /// EVALSHA still falls back to EVAL should the server forget one.
    pub async fn load(&self, admin: &mut MultiplexedConnection) -> RedisResult<()> {
        for script in [
            &self.take,
            &self.confirm,
            &self.release,
            &self.refund,
            &self.adjust,
            &self.reap,
        ] {
            script.prepare_invoke().load_async(admin).await?;
        }
        Ok(())
    }
}
