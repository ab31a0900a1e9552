// Stands in for your sign-in (NextAuth's auth(), Clerk's currentUser(), a session cookie): who is calling.
export interface AppUser {
  id: string;
  email?: string;
}

export async function signedInUser(request: Request): Promise<AppUser | null> {
  const id = request.headers.get('x-app-user');
  return id ? { id } : null;
}
