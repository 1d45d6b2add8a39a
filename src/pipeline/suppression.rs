//! Step 7, suppression: no do-not-call entry in force matches the number for
//! the company and any schedule on the route.

use chrono::{DateTime, Utc};

use crate::call::Guard;
use crate::phone::E164;
use crate::registry::RegistryList;
use crate::rejection::Rejection;
use crate::store::SuppressionList;

/// Refuses a suppressed number, naming the entry or the registry list.
pub(crate) fn check(
    number: E164,
    company_id: &str,
    schedule_ids: &[&str],
    now: DateTime<Utc>,
    list: &(impl SuppressionList + ?Sized),
    registries: &[std::sync::Arc<dyn RegistryList>],
) -> Result<(), Rejection> {
    let found = list
        .find(number, company_id, schedule_ids, now)
        .map_err(|e| Rejection::unavailable(Guard::Suppression, "suppression list", e))?;
    match found {
        // After the company's entries, the registry lists (fail closed:
        // registered, not covered, stale or unanswered all refuse).
        None => registries.iter().try_for_each(|registry| {
            registry
                .check(company_id, number.digits(), now)
                .map_err(|entry| Rejection::SuppressedContact {
                    number: number.to_string(),
                    entry,
                })
        }),
        Some(entry) => {
            let mut scope = entry.matcher.to_string();
            scope.push_str(match &entry.company_id {
                Some(_) => " for this company",
                None => " for every company",
            });
            if let Some(s) = &entry.schedule_id {
                scope.push_str(&format!(" on schedule `{s}`"));
            }
            Err(Rejection::SuppressedContact {
                number: number.to_string(),
                entry: scope,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Suppression, SuppressionMatch};
    use crate::store::InMemorySuppressionList;
    use crate::timefmt;

    #[test]
    fn scope_and_expiry_decide() {
        let n = E164::from_digits(17195550111).unwrap();
        let now = timefmt::parse("2026-11-26T15:00:00Z").unwrap();
        let list = InMemorySuppressionList::new();
        list.insert(Suppression {
            company_id: Some("acme".into()),
            schedule_id: Some("auto".into()),
            ..Suppression::everywhere(SuppressionMatch::Number(n))
        });
        list.insert(Suppression {
            expires_at: Some(now),
            ..Suppression::everywhere(SuppressionMatch::prefix("+1719").unwrap())
        });
        assert!(
            check(n, "acme", &["solar"], now, &list, &[]).is_ok(),
            "expired at now, other schedule"
        );
        let err = check(n, "acme", &["router", "auto"], now, &list, &[]).unwrap_err();
        assert_eq!(err.code(), "suppressed_contact");
        assert!(err.to_string().contains("on schedule `auto`"), "{err}");
        assert!(check(n, "globex", &["auto"], now, &list, &[]).is_ok());
        let before = now - chrono::Duration::nanoseconds(1);
        assert!(
            check(n, "globex", &["x"], before, &list, &[]).is_err(),
            "prefix before expiry"
        );
    }
}
