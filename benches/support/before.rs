//! The in-memory stores as they were before the compact ones (commit
//! 0373787), kept as the baseline of the store benchmarks and of
//! `examples/memory.rs`: a `HashMap` (SipHash) of whole entries per number,
//! and per company a `HashMap` of leads by id beside a schedule -> number ->
//! lead ids index.

#![allow(dead_code)]

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dialgate::{Lead, Suppression, SuppressionMatch, E164};

#[derive(Debug, Default)]
pub struct CompanyLeads {
    by_id: HashMap<String, Lead>,
    live: HashMap<String, HashMap<u64, Vec<String>>>,
}

/// Leads, as before.
#[derive(Debug, Default)]
pub struct Leads {
    companies: HashMap<String, CompanyLeads>,
}

impl Leads {
    pub fn insert_read(&mut self, lead: Lead, number: Option<E164>) {
        let company = self.companies.entry(lead.company_id.clone()).or_default();
        if company.by_id.contains_key(&lead.id) {
            return;
        }
        if lead.status.is_live() {
            if let Some(number) = number {
                company
                    .live
                    .entry(lead.schedule_id.clone())
                    .or_default()
                    .entry(number.digits())
                    .or_default()
                    .push(lead.id.clone());
            }
        }
        company.by_id.insert(lead.id.clone(), lead);
    }

    pub fn lead(&self, company_id: &str, lead_id: &str) -> Option<&Lead> {
        self.companies.get(company_id)?.by_id.get(lead_id)
    }

    pub fn live_lead(&self, company_id: &str, schedule_id: &str, number: E164) -> Option<&Lead> {
        let company = self.companies.get(company_id)?;
        let id = company
            .live
            .get(schedule_id)?
            .get(&number.digits())?
            .first()?;
        company.by_id.get(id)
    }
}

/// Suppression entries, as before.
#[derive(Debug, Default)]
pub struct Suppressions {
    numbers: HashMap<u64, Vec<Suppression>>,
    prefixes: HashMap<(u32, u64), Vec<Suppression>>,
    prefix_lens: Vec<u32>,
}

impl Suppressions {
    pub fn insert(&mut self, entry: Suppression) {
        match entry.matcher {
            SuppressionMatch::Number(n) => {
                self.numbers.entry(n.digits()).or_default().push(entry);
            }
            SuppressionMatch::Prefix { digits, len } => {
                if let Err(at) = self.prefix_lens.binary_search(&len) {
                    self.prefix_lens.insert(at, len);
                }
                self.prefixes.entry((len, digits)).or_default().push(entry);
            }
        }
    }

    pub fn find(
        &self,
        number: E164,
        company_id: &str,
        schedule_ids: &[&str],
        now: DateTime<Utc>,
    ) -> Option<&Suppression> {
        let applies = |e: &&Suppression| e.applies(company_id, schedule_ids, now);
        if let Some(hit) = self
            .numbers
            .get(&number.digits())
            .and_then(|entries| entries.iter().find(applies))
        {
            return Some(hit);
        }
        let len = number.len();
        self.prefix_lens
            .iter()
            .take_while(|&&l| l <= len)
            .filter_map(|&l| {
                self.prefixes
                    .get(&(l, number.digits() / 10u64.pow(len - l)))
            })
            .find_map(|entries| entries.iter().find(applies))
    }
}
