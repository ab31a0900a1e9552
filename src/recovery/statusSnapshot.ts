import type { Provider, ProviderStatus } from '../providers/index.js';
import type { TaskDeps } from '../tasks/index.js';

/**
 * Deps whose provider status answers are remembered for one run: the reconciler reads a task's status to classify
 * it, then hands the task to advance, which reads it again and gets the very same answer (or the same error). So
 * the action reported is the action taken, and the provider is asked once per task.
 */
export function withStatusSnapshot(deps: TaskDeps): TaskDeps {
  const answers = new Map<string, Promise<ProviderStatus>>();
  const wrapped = new Map<string, Provider>();
  const snapshot = (provider: Provider): Provider => ({
    name: provider.name,
    submit: (request) => provider.submit(request),
    parseCallback: (body, query) => provider.parseCallback(body, query),
    download: (url) => provider.download(url),
    status(providerTaskId) {
      const key = `${provider.name}:${providerTaskId}`;
      let answer = answers.get(key);
      if (!answer) {
        answer = provider.status(providerTaskId);
        answers.set(key, answer);
        // Remembered rejections are awaited by the caller; this only stops an unhandled-rejection warning.
        answer.catch(() => undefined);
      }
      return answer;
    },
  });
  return {
    ...deps,
    providers: {
      get(name) {
        let provider = wrapped.get(name);
        if (!provider) {
          provider = snapshot(deps.providers.get(name));
          wrapped.set(name, provider);
        }
        return provider;
      },
    },
  };
}
