// Pages whose API has not landed yet: they say so plainly instead of showing invented data.
import { PageHeader } from '../components/page-header';
import type { NavItem } from '../nav';
import { Link } from '../router';

const WHAT: Record<string, { intro: string; meanwhile: string }> = {
  audit: {
    intro: 'The hash-chained audit log, with filters, export and chain verification, will be here.',
    meanwhile: 'Every change and every request is already recorded in the ledger on the control plane.',
  },
};

export function PendingPage({ item }: { item: NavItem }) {
  const w = WHAT[item.pending ?? ''];
  return (
    <>
      <PageHeader title={item.label}>{w?.intro}</PageHeader>
      <div className="empty">
        <p className="empty-title">Not available in this version yet.</p>
        <div className="empty-body">
          <p>This control plane does not offer this part of the API yet, so there is nothing to show.</p>
          {w && <p>{w.meanwhile}</p>}
        </div>
      </div>
    </>
  );
}

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found">There is no dashboard page at this address.</PageHeader>
      <p>
        <Link to="/">Go to the overview</Link>
      </p>
    </>
  );
}
