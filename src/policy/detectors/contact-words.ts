/**
 * Words that ask for a contact outside WeCom, for `detector: contact-word`. They are matched as
 * keywords (normalised like any keyword list), so full-width `ＶＸ` counts too. Alone they prove
 * little (威信 also means "prestige"), so rules pair them with a number or a handle.
 */
export const CONTACT_WORDS: readonly string[] = [
  // 威信 ("prestige") is left out: next to a phone number it is still an ordinary word.
  ...['微信', '薇信', '徽信', 'v信', 'vx', 'wx', 'wxid', '加我', '加v'],
  ...['weixin', 'wei xin', 'jiaweixin', 'wechat', 'we chat'],
  ...['qq', '扣扣', 'telegram', 'whatsapp'],
]
