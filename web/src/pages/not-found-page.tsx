import { PageHeader } from '../components/page-header';
import { Link } from '../router';

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
