//! The reconciler's properties judged by the real kernel (in the IPVS VM):
//! the same generated cases as [`super::properties`], with the kernel's
//! table set to the case's, the plan applied both to the table model and
//! through `Ipvs::apply`. The kernel and the model must give the same
//! verdict on every change, the table read back must be the model's and
//! the desired one, and a second pass over it must plan nothing.

use ha_ipvs::{Change, Ipvs};
use proptest::prelude::*;

use super::super::*;
use super::properties::{case, satisfies, slot_key, Case, FOREIGN_SLOT};

/// Puts the case's kernel table in the kernel (which must start empty of
/// it); false if the kernel refuses a part of it.
fn program(ipvs: &mut Ipvs, table: &Table) -> bool {
    let mut changes = Vec::new();
    for entry in table.services() {
        changes.push(Change::AddService(entry.service.clone()));
        for destination in entry.destinations.values() {
            changes.push(Change::AddDestination(
                entry.service.key,
                destination.clone(),
            ));
        }
    }
    ipvs.apply(&changes)
        .is_ok_and(|results| results.iter().all(Result::is_ok))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    #[ignore = "needs IPVS: runs in the VM"]
    fn the_kernel_accepts_every_plan_and_ends_with_the_desired_table(case in case()) {
        let Case { spec, health, current, retired } = case;
        let mut ipvs = Ipvs::connect().expect("IPVS in the VM");
        ipvs.flush().expect("flush");
        prop_assume!(program(&mut ipvs, &current), "the kernel refused the starting table");
        // Start from what the kernel holds (it may report Local forwarding
        // where another was asked).
        let before = Table::read(&mut ipvs, |_| true).expect("read the table");
        prop_assert_eq!(satisfies(&before, &current), Ok(()));
        let plan = reconcile(&spec, &health, &before, &retired);
        let mut model = before.clone();
        let model_verdicts: Vec<Result<(), String>> = plan
            .changes
            .iter()
            .map(|change| model.apply(change).map_err(|e| e.to_string()))
            .collect();
        let kernel_verdicts: Vec<Result<(), String>> = ipvs
            .apply(&plan.changes)
            .expect("the netlink exchange")
            .into_iter()
            .map(|result| result.map_err(|e| e.to_string()))
            .collect();
        for ((change, model), kernel) in plan.changes.iter().zip(&model_verdicts).zip(&kernel_verdicts) {
            prop_assert_eq!(
                model.is_ok(),
                kernel.is_ok(),
                "{:?}: model {:?}, kernel {:?}",
                change,
                model,
                kernel
            );
        }
        let after = Table::read(&mut ipvs, |_| true).expect("read the table");
        prop_assert_eq!(satisfies(&after, &model), Ok(()));
        let desired = desired_table(&spec, &health, &before, &retired);
        prop_assert_eq!(satisfies(&after, &desired), Ok(()));
        let foreign = slot_key(FOREIGN_SLOT);
        prop_assert_eq!(
            after.get(&foreign).map(|s| &s.destinations),
            before.get(&foreign).map(|s| &s.destinations)
        );
        let again = reconcile(&spec, &health, &after, &retired);
        prop_assert_eq!(again.changes, vec![]);
        ipvs.flush().expect("flush");
    }
}
