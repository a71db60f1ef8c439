// Prints the key value store entry for the deployed dashboard's Basic authentication:
//   DASHBOARD_PASSWORD=... npx tsx infra/edge/printDashboardCredential.ts [user]
// The password comes from the environment, not the command line, so it stays out of the
// shell history and the process list. See docs/deploy.md, "The dashboard on AWS".
import { dashboardCredentialValue } from './dashboardCredentialValue.js';

const user = process.argv[2] ?? 'dashboard';
const password = process.env.DASHBOARD_PASSWORD;
if (password === undefined || password === '') {
  console.error('DASHBOARD_PASSWORD environment variable is not set');
  process.exit(2);
}
try {
  console.log(dashboardCredentialValue(user, password));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
