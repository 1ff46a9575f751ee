% rebase('layout')
<table id="templates">
  <tr><th>{{_('Key')}}</th><th>{{_('Title')}}</th><th>{{_('Category')}}</th><th>{{_('Chinese')}}</th><th>{{_('English')}}</th><th>{{_('Edited')}}</th></tr>
  % for t in rows:
  <tr><td><code>{{t['key']}}</code></td><td>{{words.bilingual(ctx.lang, t['title'])}}</td><td>{{_(t['category'])}}</td><td lang="zh">{{t['zh']}}</td><td lang="en">{{t['en']}}</td>
      <td>
        % for lang in t['edited']:
        % if ctx.can('campaigns'):
        <form method="post" action="/templates/reset" class="inline">
          <input type="hidden" name="csrf" value="{{ctx.csrf}}"><input type="hidden" name="key" value="{{t['key']}}">
          <input type="hidden" name="language" value="{{lang}}">
          <button type="submit" class="link">{{_('Reset {language}').format(language=lang)}}</button>
        </form>
        % else:
        {{lang}}
        % end
        % end
      </td></tr>
  % end
</table>
% if ctx.can('campaigns'):
<form method="post" action="/templates" class="card" id="template-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <div class="row">
    <label>{{_('Key')}}<input name="key" required></label>
    <label>{{_('Language')}}<select name="language"><option value="zh">{{_('Chinese')}}</option><option value="en">{{_('English')}}</option></select></label>
    <label>{{_('Category')}}<select name="category"><option value="">{{_('(as before)')}}</option>
      % for c in categories:
      <option value="{{c}}">{{_(c)}}</option>
      % end
    </select></label>
    <label>{{_('Title')}}<input name="title"></label>
  </div>
  <label>{{_('Text')}}<textarea name="text" rows="3" required></textarea></label>
  <button type="submit">{{_('Save template')}}</button>
</form>
% end
