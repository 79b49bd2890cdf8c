// The dashboard's pages in navigation order. `needs` hides a page from roles that can do nothing on
// it; `pending` names the issue whose API a page waits for (it is listed so the layout is final, and
// says plainly that it is not there yet rather than showing made-up data).
import type { Role } from './api/types';

export interface NavItem {
  path: string;
  label: string;
  needs?: Role;
  pending?: string;
}

export const NAV: { group: string; items: NavItem[] }[] = [
  {
    group: 'Watch',
    items: [
      { path: '/', label: 'Overview' },
      { path: '/traffic', label: 'Traffic' },
      { path: '/approvals', label: 'Approvals' },
      { path: '/audit', label: 'Audit log', pending: 'audit' },
    ],
  },
  {
    group: 'Configure',
    items: [
      { path: '/agents', label: 'Agents' },
      { path: '/connectors', label: 'Connectors' },
      { path: '/permissions', label: 'Permissions' },
      { path: '/policies', label: 'Policies' },
    ],
  },
  {
    group: 'Administer',
    items: [
      { path: '/users', label: 'Users', needs: 'admin' },
      { path: '/tokens', label: 'API tokens' },
      { path: '/settings', label: 'Settings' },
    ],
  },
];
