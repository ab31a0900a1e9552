// Stands in for your own table of generations (Prisma, Drizzle, Supabase): what your pages show.
export interface Video {
  taskId: string;
  userId: string;
  status: 'pending' | 'processing' | 'completed' | 'failed' | 'canceled';
  url?: string;
  refunded?: boolean;
}

const videos = new Map<string, Video>();

export const videoTable = {
  insert: async (video: Video) => void videos.set(video.taskId, video),
  update: async (taskId: string, change: Partial<Video>) => {
    const video = videos.get(taskId);
    if (video) videos.set(taskId, { ...video, ...change });
  },
  find: async (taskId: string) => videos.get(taskId) ?? null,
};
