// The dashboard's pages in navigation order. `needs` hides a page from roles that can do nothing on it.
import type { Role } from './api/types';

export interface NavItem {
  path: string;
  label: string;
  needs?: Role;
}

export const NAV: { group: string; items: NavItem[] }[] = [
  {
    group: 'Watch',
    items: [
      { path: '/', label: 'Overview' },
      { path: '/traffic', label: 'Traffic' },
      { path: '/approvals', label: 'Approvals' },
      { path: '/audit', label: 'Audit log' },
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
