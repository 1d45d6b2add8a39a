//! Step 6, lead: the named lead, a live lead of the dialing schedule with the
//! same number (the promote case), or a one-off lead to create.

use crate::store::Found;

use crate::call::Guard;
use crate::model::Lead;
use crate::phone::E164;
use crate::rejection::Rejection;
use crate::store::LeadStore;

/// The lead a call will dial.
#[derive(Debug)]
pub(crate) enum Choice<'s> {
    /// A stored lead.
    Existing(Found<'s, Lead>),
    /// No live lead: a one-off lead is to be created.
    OneOff,
}

/// Picks the lead: the named one on the lead path, else a reusable live lead.
pub(crate) fn choose<'s>(
    named: Option<Found<'s, Lead>>,
    company_id: &str,
    dialing_schedule_id: &str,
    number: E164,
    leads: &'s (impl LeadStore + ?Sized),
) -> Result<Choice<'s>, Rejection> {
    Ok(match named {
        Some(lead) => Choice::Existing(lead),
        None => match leads
            .live_lead(company_id, dialing_schedule_id, number)
            .map_err(|e| Rejection::unavailable(Guard::Lead, "lead store", e))?
        {
            Some(lead) => Choice::Existing(lead),
            None => Choice::OneOff,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LeadStatus;
    use crate::store::InMemoryLeadStore;
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
        let id = |c: Choice<'_>| match c {
            Choice::Existing(l) => Some(l.id.clone()),
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
        let named = leads.lead("acme", "cat").unwrap();
        assert_eq!(
            id(choose(named, "acme", "solar", cat, &leads).unwrap()),
            Some("cat".into())
        );
    }
}
