// Light, dark, or the system's choice (the default). Stored per browser; applied before the first
// render from the module (an inline script would break the Content-Security-Policy).
export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'tameflare.theme';

export function storedTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

export function applyTheme(choice: ThemeChoice): void {
  const el = document.documentElement;
  if (choice === 'system') delete el.dataset.theme;
  else el.dataset.theme = choice;
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // storage disabled: the choice lasts for this page only
  }
}

export function applyStoredTheme(): void {
  applyTheme(storedTheme());
}
