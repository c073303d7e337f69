// The React page of the Chromium test: two components, each reading one flag, each counting its
// renders, so the test can see that a toggle re-renders only the component whose flag changed.
/* global window, document, location */
import { createElement as h } from 'react';
import { createRoot } from 'react-dom/client';
import { SwitchyardProvider, useFlag, useFlagDetails } from '@switchyard/react';

const query = new URLSearchParams(location.search);
window.renderCounts = { banner: 0, checkout: 0 };

function Banner() {
  const details = useFlagDetails('new-banner', false);
  window.renderCounts.banner += 1;
  return h('p', { id: 'banner' }, `${details.value ? 'on' : 'off'} ${details.reason}`);
}

function Checkout() {
  const enabled = useFlag('new-checkout', false);
  window.renderCounts.checkout += 1;
  return h('p', { id: 'checkout' }, enabled ? 'on' : 'off');
}

const options = { url: query.get('server'), clientToken: query.get('token'), context: JSON.parse(query.get('context') || '{}') };
createRoot(document.getElementById('root')).render(h(SwitchyardProvider, { options }, h(Banner), h(Checkout)));
