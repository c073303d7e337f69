import { createMarketDataServer } from './server';

// eslint-disable-next-line no-restricted-properties -- a standalone sample service; Switchyard's config rule is for Switchyard itself
const port = Number(process.env.PORT ?? 8080);
const server = createMarketDataServer();
server.listen(port, () => console.log(JSON.stringify({ msg: 'market-data listening', port })));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => server.close(() => process.exit(0)));
