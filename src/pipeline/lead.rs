//! Step 6, lead: the named lead, a live lead of the dialing schedule with the
//! same number (the promote case), or a one-off lead to create.

use crate::call::Guard;
use crate::phone::E164;
use crate::rejection::Rejection;
use crate::store::LeadStore;

/// The lead a call will dial.
#[derive(Debug)]
pub(crate) enum Choice {
    /// A stored lead, by id.
    Existing(String),
    /// No live lead: a one-off lead is to be created.
    OneOff,
}

/// Picks the lead: the named one on the lead path, else a reusable live lead.
pub(crate) fn choose(
    named: Option<String>,
    company_id: &str,
    dialing_schedule_id: &str,
    number: E164,
    leads: &(impl LeadStore + ?Sized),
) -> Result<Choice, Rejection> {
    Ok(match named {
        Some(id) => Choice::Existing(id),
        None => match leads
            .live_lead_id(company_id, dialing_schedule_id, number)
            .map_err(|e| Rejection::unavailable(Guard::Lead, "lead store", e))?
        {
            Some(id) => Choice::Existing(id),
            None => Choice::OneOff,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LeadStatus;
    use crate::store::InMemoryLeadStore;
    use crate::Lead;
    use crate::{NumberReader, Region};

    #[test]
    fn reuses_only_live_leads_of_the_dialing_schedule() {
        let r = NumberReader::new();
        let leads = InMemoryLeadStore::new();
        leads
            .insert(
                Lead::live("ann", "acme", "solar", "+17195551234"),
                Region::US,
                &r,
            )
            .unwrap();
        let mut done = Lead::live("cat", "acme", "solar", "+17195550142");
        done.status = LeadStatus::from("completed");
        leads.insert(done, Region::US, &r).unwrap();
        let ann = E164::from_digits(17195551234).unwrap();
        let cat = E164::from_digits(17195550142).unwrap();
        let id = |c: Choice| match c {
            Choice::Existing(id) => Some(id),
            Choice::OneOff => None,
        };
        assert_eq!(
            id(choose(None, "acme", "solar", ann, &leads).unwrap()),
            Some("ann".into())
        );
        assert_eq!(id(choose(None, "acme", "auto", ann, &leads).unwrap()), None);
        assert_eq!(
            id(choose(None, "globex", "solar", ann, &leads).unwrap()),
            None
        );
        assert_eq!(
            id(choose(None, "acme", "solar", cat, &leads).unwrap()),
            None
        );
        let named = leads.lead("acme", "cat").unwrap().map(|l| l.id.clone());
        assert_eq!(
            id(choose(named, "acme", "solar", cat, &leads).unwrap()),
            Some("cat".into())
        );
    }
}
