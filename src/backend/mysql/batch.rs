//! A text batch: several statements sent as one query, with integer values
//! written in where the template names them.
//!
//! Why: a prepared statement holds one statement, so a transaction of
//! prepared statements costs a round trip each (BEGIN, UPDATE, INSERT,
//! COMMIT); the text protocol takes them all at once. Only integers are
//! ever written in, so nothing needs quoting.

use crate::backend::sql::template::{self, Piece};

pub struct Batch {
    /// Text, then the index (into `names`) of the value that follows it.
    chunks: Vec<(String, Option<usize>)>,
}

impl Batch {
    /// Render a built-in template for the run's namespace. `names` are the
    /// `:name` values it may use, in the order `with` takes them.
    pub fn render(text: &str, run_id: &str, names: &[&str]) -> Self {
        let statements = template::parse(text, names).expect("built-in SQL parses");
        let mut chunks = vec![(String::new(), None)];
        for (i, statement) in statements.iter().enumerate() {
            if i > 0 {
                chunks.last_mut().expect("never empty").0.push(';');
            }
            for piece in &statement.pieces {
                let text = &mut chunks.last_mut().expect("never empty").0;
                match piece {
                    Piece::Text(t) => text.push_str(t),
                    Piece::Table(name) => text.push_str(&template::table_name(name, run_id)),
                    Piece::Param(name) => {
                        let index = names.iter().position(|n| n == name);
                        chunks.last_mut().expect("never empty").1 = index;
                        chunks.push((String::new(), None));
                    }
                }
            }
        }
        Batch { chunks }
    }

    /// The batch with `values[i]` written where `names[i]` stands.
    pub fn with(&self, values: &[i64]) -> String {
        let mut sql = String::with_capacity(self.chunks.iter().map(|c| c.0.len() + 20).sum());
        for (text, value) in &self.chunks {
            sql.push_str(text);
            if let Some(i) = value {
                sql.push_str(&values[*i].to_string());
            }
        }
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_in_and_statements_kept_apart() {
        let batch = Batch::render(
            "UPDATE {{stock}} SET r = r + :qty WHERE sku = :sku;\nSELECT :sku, ':qty'",
            "abcdefghijkl",
            &["sku", "qty"],
        );
        assert_eq!(
            batch.with(&[7, -3]),
            "UPDATE atpsim_stock_abcdefghijkl SET r = r + -3 WHERE sku = 7;\nSELECT 7, ':qty'"
        );
    }
}
